"""A coordinator creates an account, signs in and out; wrong details tell nothing away."""

from meetup.accounts.tables import Account
from tests.factories import PASSWORD, new_email, sign_up


async def test_signup_creates_a_participant_and_signs_them_in(client):
    email = new_email()
    response = await client.post(
        "/api/v1/auth/signup",
        json={"email": email.upper(), "password": PASSWORD, "display_name": "  宮城   美咲 ", "locale": "en"},
    )
    assert response.status_code == 201
    user = response.json()
    assert user == {
        "id": user["id"],
        "email": email,
        "display_name": "宮城 美咲",
        "role": "participant",
        "locale": "en",
    }
    me = await client.get("/api/v1/me")
    assert me.status_code == 200
    body = me.json()
    calendar_url = body.pop("calendar_url")  # the secret address of my calendar feed (CONTRACT §5.4)
    assert body == user
    assert calendar_url.startswith(f"http://testserver.local/calendars/{user['id']}-")


async def test_a_stored_password_is_an_argon2_hash(client):
    user = await sign_up(client)
    row = await Account.select(Account.password_hash).where(Account.id == user["id"]).first()
    assert row["password_hash"].startswith("$argon2id$")
    assert PASSWORD not in row["password_hash"]


async def test_an_address_in_use_is_a_conflict(client, make_client):
    email = new_email()
    await sign_up(client, email=email)
    other = await make_client()
    response = await other.post(
        "/api/v1/auth/signup", json={"email": email, "password": "another password", "display_name": "x"}
    )
    assert response.status_code == 409
    assert await Account.count().where(Account.email == email) == 1


async def test_login_and_logout(client, make_client):
    email = new_email()
    user = await sign_up(client, email=email)
    person = await make_client()
    assert (await person.get("/api/v1/me")).status_code == 401
    response = await person.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200
    assert response.json()["id"] == user["id"]
    assert (await person.get("/api/v1/me")).json()["email"] == email
    assert (await person.post("/api/v1/auth/logout")).status_code == 204
    assert (await person.get("/api/v1/me")).status_code == 401


async def test_wrong_email_and_wrong_password_look_the_same(client, make_client):
    email = new_email()
    await sign_up(client, email=email)
    person = await make_client()
    wrong_password = await person.post("/api/v1/auth/login", json={"email": email, "password": "not the password"})
    unknown_email = await person.post("/api/v1/auth/login", json={"email": new_email(), "password": "not the password"})
    assert wrong_password.status_code == unknown_email.status_code == 401
    assert wrong_password.json() == unknown_email.json()


async def test_logout_ends_the_session_on_the_server(client, make_client):
    """A copied session cookie stops working once its owner logs out."""
    await sign_up(client)
    stolen = client.cookies["session"]
    thief = await make_client()
    thief.cookies.set("session", stolen, domain="testserver.local")
    assert (await thief.get("/api/v1/me")).status_code == 200
    await client.post("/api/v1/auth/logout")
    assert (await thief.get("/api/v1/me")).status_code == 401


async def test_signing_in_gives_a_fresh_session_id(client, make_client):
    """A session id planted before sign-in is not the one that ends up signed in."""
    email = new_email()
    await sign_up(client, email=email)
    person = await make_client()
    person.cookies.set("session", "a" * 64, domain="testserver.local")
    await person.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert person.cookies["session"] != "a" * 64
    attacker = await make_client()
    attacker.cookies.set("session", "a" * 64, domain="testserver.local")
    assert (await attacker.get("/api/v1/me")).status_code == 401
