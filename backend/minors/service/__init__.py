"""The registry of at-risk minors: ``registry`` (registration, edits, look-up, reveal, the changes care work
makes), ``presenting`` (every minor that becomes an answer, through the privacy policy), ``listing`` (the
list's filters and statements), ``keys`` (look-up hashes, re-encryption). Other domains never import these:
work that spans domains goes through ``backend.workflows``."""
