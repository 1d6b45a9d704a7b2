from lightprof.cli import main

raise SystemExit(main())
