"""A forum's report (開催レポート), its materials and recordings, and chat lines quoted in it."""
