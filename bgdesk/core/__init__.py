"""The business of bgdesk: accounts and keys, the credit ledger, jobs and their runner.

Faces (window, API, CLI) call into here; nothing here imports a face.
"""
