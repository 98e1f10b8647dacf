"""Backups that restore: a consistent snapshot of the database and the media store.

A backup is a folder (or an S3 prefix) holding ``database/`` (SQLite's online backup, or a
``pg_dump`` custom-format archive), ``media/<key>`` (every file of the media store) and,
written last, ``manifest.json``: the rows of every table and the size and sha256 of every
file. ``snapshot.take_backup`` writes one while the server keeps running,
``restore.restore_backup`` puts one into an empty database and media store, and
``verify.verify_backup`` restores one into a scratch place and compares. See
docs/operations.md.
"""
