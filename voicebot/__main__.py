from voicebot.cli import main

raise SystemExit(main())
