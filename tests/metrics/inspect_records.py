"""Small canonical records for metric tests."""

import pyarrow as pa

from core.schema import Dataset, message


def conversation(user: str | list[str], assistant: str | list[str] = "", system: str | None = None,
                 id: str = "0") -> dict:
    """A canonical record; lists alternate user/assistant turns."""
    users = [user] if isinstance(user, str) else user
    assistants = [assistant] if isinstance(assistant, str) else assistant
    messages = [message("system", system)] if system is not None else []
    for i, text in enumerate(users):
        messages.append(message("user", text))
        if i < len(assistants):
            messages.append(message("assistant", assistants[i]))
    return {"id": id, "messages": messages}


def table_of(*records: dict) -> pa.Table:
    return Dataset.from_records([{**r, "id": str(i)} for i, r in enumerate(records)]).table

