"""Small reusable widgets shared by pages."""

from __future__ import annotations

import json

import streamlit as st

_AVATARS = {"system": "⚙️", "user": "user", "assistant": "assistant", "tool": "🛠️"}


def render_conversation(record: dict) -> None:
    """A canonical record as chat bubbles (system, user, assistant, tool turns; the rejected answer last)."""
    st.caption(f"id {record.get('id')}")
    for message in record.get("messages") or []:
        role = message.get("role", "user")
        with st.chat_message(_AVATARS.get(role, "user") if role in ("user", "assistant") else role,
                             avatar=None if role in ("user", "assistant") else _AVATARS.get(role)):
            if message.get("name"):
                st.caption(message["name"])
            st.markdown(message.get("content") or "")
            if message.get("tool_calls"):
                st.code(json.dumps(message["tool_calls"], ensure_ascii=False, indent=2), language="json")
    if record.get("rejected"):
        st.caption("rejected answer")
        with st.chat_message("assistant", avatar="👎"):
            st.markdown(record["rejected"].get("content") or "")
