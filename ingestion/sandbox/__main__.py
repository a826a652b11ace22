import sys

from ingestion.sandbox.runner import main

sys.exit(main())
