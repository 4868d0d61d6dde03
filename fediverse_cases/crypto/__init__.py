"""crypto: keys (RSA, Ed25519/Multikey), Digest/Content-Digest, HTTP signatures (draft-cavage-12
and RFC 9421, via ``http_signatures``), JCS and eddsa-jcs-2022 integrity proofs.

Works on plain values (method, url, headers, body); imports only the stdlib and ``cryptography``.
"""
