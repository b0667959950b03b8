// MongoDB's documented example, "Delete a User with a Custom Function"
// (mongodb/docs-app-services, source/users/manage.txt), for the benchmark only: it logs in to the
// Admin API, then DELETEs the calling user. As in the docs: no status checks, no data cleanup.
// Two changes so it runs on the local emulator: the Admin API base URL comes from the value
// adminApiBaseUrl (the one this project's bundle reads) and the project and app ids from
// context.app, where the docs hard-code them into apiUrl. The keys come from the same values
// (adminApiPublicKey, adminApiPrivateKey) as in the docs and in our bundle.
exports = async function () {
  // Deletes the user who calls it: the id comes from the function context, never from an argument.
  const callersUserId = context.user.id;
  const baseUrl = context.values.get("adminApiBaseUrl");
  const apiUrl = `${baseUrl}/groups/${context.app.projectId}/apps/${context.app.id}`;

  async function adminLogIn() {
    const username = context.values.get("adminApiPublicKey");
    const apiKey = context.values.get("adminApiPrivateKey");
    const response = await context.http.post({
      url: `${baseUrl}/auth/providers/mongodb-cloud/login`,
      body: { username, apiKey },
      encodeBodyAsJSON: true,
    });
    const body = EJSON.parse(response.body.text());
    return body.access_token;
  }

  const token = await adminLogIn();

  async function deleteUser(_id) {
    await context.http.delete({
      url: `${apiUrl}/users/${_id}`,
      headers: { Authorization: [`Bearer ${token}`] },
    });
    return _id;
  }

  return deleteUser(callersUserId);
};
