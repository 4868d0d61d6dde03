"""DICOM intake without I/O: STOW-RS multipart bodies, received instances grouped into series,
the DICOM JSON store result, and the PS3.15 Annex E de-identification of the shared derivative.

Pure functions over bytes and pydicom datasets; like ``deidentify`` it never imports quart,
sqlalchemy or httpx, and it may use ``deidentify`` (never the reverse).
"""
