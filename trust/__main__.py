import sys

from trust.run import main

try:
    sys.exit(main())
except KeyboardInterrupt:
    # The stack's servers and processes were torn down on the way out.
    print("\nmake trust interrupted: every process and throwaway server stopped.")
    sys.exit(130)
