from trimline.cli.main import main

raise SystemExit(main())
