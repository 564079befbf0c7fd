"""The registry of at-risk minors: ``registry`` (registration, edits, look-up, the changes care work makes),
``recording`` (a registration checked and turned into a record's values), ``provisional`` (records without an ID
number: verify, merge, possible duplicates), ``bulk`` (many registrations at once, for imports), ``disclosures``
(one person one record, what is told of records elsewhere, reveal, the daily limits), ``presenting`` (every minor
that becomes an answer, through the privacy policy), ``listing`` (the list's filters and statements),
``matching`` (many numbers against the registry), ``keys`` (look-up hashes, re-encryption). Other domains never
import these: work that spans domains goes through ``backend.workflows``."""
