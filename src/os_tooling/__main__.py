from os_tooling.cli.main import main

raise SystemExit(main())
