"""Front ends, one per platform: telegram/ and discord/ (packages, one per platform library) and
console.py. Nothing here is imported eagerly: app.py imports a front end by module path only when
its platform is configured, so a deployment without Discord never loads discord.py."""
