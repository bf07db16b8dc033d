"""`python main.py seed --if-empty` fills an empty database with the demo and says how to sign in;
a second time it leaves the database as it is."""

from tests.zygote import run_main


def test_seed_command_prints_the_organizer_login(database_url, tmp_path):
    env = {"MEETUP_DATABASE_URL": database_url, "MEETUP_VAR_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    first = run_main(["seed", "--if-empty"], env, tmp_path / "out", timeout=120)
    assert first.returncode == 0, first.stderr
    assert "organizer@example.jp" in first.stdout
    assert "admin@example.jp" in first.stdout
    second = run_main(["seed", "--if-empty"], env, tmp_path / "out", timeout=120)
    assert "left as it is" in second.stdout
