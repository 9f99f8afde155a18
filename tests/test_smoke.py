async def test_help_lists_commands(chat):
    text = await chat.send("/help")
    assert "/sign — Sign the petition." in text
    assert "/stats" not in text
