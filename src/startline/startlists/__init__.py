"""CSV start lists in and out: reading files as people make them (encodings, delimiters,
header synonyms, value formats), turning rows into the participant domain's writes, reports
with file lines, rejects files, and the export column families. Used by the CLI and by
/api/v1; it owns no rules of its own beyond parsing (the domain judges every value)."""
