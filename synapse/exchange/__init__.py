"""CSV data exchange (data-exchange.md): the folder-of-CSV format, its validation, import, export.

``values`` parses and formats cells; ``schemas`` declares every file (columns, key,
row rule); ``rules`` holds the per-record business checks that forms and the API
reuse; ``importer`` and ``exporter`` are the services behind ``import_data`` and
``export_data``.
"""
