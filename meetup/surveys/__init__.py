"""The forum survey (アンケート): questions an organizer builds, one editable response per confirmed
registrant, results for the organizer, and `survey` ties from mutual people picks."""
