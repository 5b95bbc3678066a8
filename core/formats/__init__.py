"""One module per dataset format: detect(), to_conversations(), from_conversation() (see base.py).

The registry of names (FORMATS, MODULES) and the detection logic live in core/detect.py.
"""
