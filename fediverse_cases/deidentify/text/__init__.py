"""The free-text identifier scanner, one module per kind of identifier.

``lexicon`` holds the word lists, ``names``, ``places``, ``dates`` and ``numbers`` the detectors,
``spans`` the finding type and the overlap rule. ``deidentify.phi_text.scan_text`` runs them all.
"""
