"""One module per dataset format: detect(), to_conversation(), from_conversation()."""
