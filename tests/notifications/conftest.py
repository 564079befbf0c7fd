from tests.care_files.conftest import add_entry, open_file, user_id  # noqa: F401 - shared fixtures
from tests.minors.conftest import person, register, rng  # noqa: F401
