"""Imports (批量导入): the screening forms as spreadsheet templates, uploads checked row by row, and every import kept."""
