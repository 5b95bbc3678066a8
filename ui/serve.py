"""Start the dashboard: `python -m ui.serve [streamlit options]` (what `make run` does).

app.py owns navigation (st.navigation). Streamlit still treats a `pages/` folder as its legacy
multipage mode until the first st.navigation call in the process, so on a fresh server a first
visit straight to /<page> would run that page file alone: no page config, file names in the
sidebar. Declaring up front that the folder is not a legacy pages folder avoids that.
"""

import sys
from pathlib import Path

from streamlit.runtime.pages_manager import PagesManager
from streamlit.web import cli

APP = Path(__file__).resolve().parent.parent / "app.py"


def main() -> None:
    PagesManager.uses_pages_directory = False
    sys.argv = ["streamlit", "run", str(APP), *sys.argv[1:]]
    sys.exit(cli.main())


if __name__ == "__main__":
    main()
