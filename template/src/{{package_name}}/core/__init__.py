"""Cross-cutting pieces every feature uses: settings, database, errors, logging."""
