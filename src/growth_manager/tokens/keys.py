"""Re-encrypt every stored secret under the newest key (``growth-manager rotate-keys``)."""

from __future__ import annotations

from sqlalchemy import Text, select, type_coerce, update

from growth_manager.db import Database
from growth_manager.kit import crypto
from growth_manager.kit.crypto import EncryptedText
from growth_manager.models import Base


def encrypted_columns() -> dict[str, list[str]]:
    return {
        table.name: [c.name for c in table.columns if isinstance(c.type, EncryptedText)]
        for table in Base.metadata.sorted_tables
        if any(isinstance(c.type, EncryptedText) for c in table.columns)
    }


def rotate_all(database: Database, batch: int = 500) -> dict[str, int]:
    """Rotate every encrypted value, table by table in batches; returns rows touched per table.

    Values are read and written as raw ciphertext (``type_coerce`` to Text), so plaintext
    exists only inside ``MultiFernet.rotate``.
    """
    counts: dict[str, int] = {}
    tables = {t.name: t for t in Base.metadata.sorted_tables}
    for table_name, columns in encrypted_columns().items():
        table = tables[table_name]
        pk = next(iter(table.primary_key.columns))
        touched = 0
        last = None
        while True:
            with database.session() as session:
                query = select(pk, *(type_coerce(table.c[c], Text) for c in columns)).order_by(pk)
                if last is not None:
                    query = query.where(pk > last)
                rows = session.execute(query.limit(batch)).all()
                for row in rows:
                    values = {
                        c: crypto.rotate(v) for c, v in zip(columns, row[1:], strict=True) if v
                    }
                    if values:
                        session.execute(
                            update(table)
                            .where(pk == row[0])
                            .values({table.c[c]: type_coerce(v, Text) for c, v in values.items()})
                        )
                        touched += 1
            if len(rows) < batch:
                break
            last = rows[-1][0]
        counts[table_name] = touched
    return counts
