"""Operations: the installed package, the front proxy, observability, backups."""
