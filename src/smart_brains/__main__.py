from smart_brains.cli import main

raise SystemExit(main())
