from os_tooling.action.main import main

raise SystemExit(main())
