"""python3 tests/support/aws_fake [--port N] [--config FILE] [--ready-file FILE] [--verbose]"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from aws_fake.server import main  # noqa: E402

sys.exit(main())
