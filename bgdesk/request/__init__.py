"""What a request for a cutout can ask for — output options, formats, presets — in the words
every face (window, API, CLI, settings) and the pixel pipeline share. It imports nothing of
bgdesk's but the error tree."""
