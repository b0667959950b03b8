// The account page: sign in, see what a deletion would remove, download your data, delete your account.
// Plain realm-web (its browser bundle defines the global `Realm`); no framework, no build step.
const $ = (id) => document.getElementById(id);
const app = new Realm.App({ id: document.body.dataset.appId, baseUrl: document.body.dataset.baseUrl || undefined });

function showError(err) {
  // A function's own message is in err.error; anything else (network, SDK) in err.message.
  $("error").textContent = err ? err.error || err.message || String(err) : "";
}

async function run(action) {
  showError(null);
  try {
    await action();
  } catch (err) {
    showError(err);
  }
}

async function signIn(credentials) {
  await app.logIn(credentials);
  await showAccount();
}

async function showAccount() {
  const user = app.currentUser;
  $("signin").hidden = !!user;
  $("account").hidden = !user;
  if (!user) return;
  // A receipt shown after a deletion belongs to the account that is gone, not to this one.
  $("done").hidden = true;
  $("who").textContent = user.profile.email || `an anonymous user (${user.id})`;
  const preview = await user.functions.previewDeleteCurrentUser();
  const rows = preview.cleanup.map((r) => {
    const tr = document.createElement("tr");
    for (const text of [r.rule, r.deleted, r.anonymized, r.detached]) tr.appendChild(document.createElement("td")).textContent = String(text);
    return tr;
  });
  $("preview").tBodies[0].replaceChildren(...rows);
  $("ready").textContent = preview.canDeleteNow ? "Deleting your account can run now." : `Deleting your account cannot run now: ${preview.reason}`;
}

/** Every page of the export, collected by rule, as canonical EJSON text. */
async function exportAll(user) {
  const rules = new Map();
  let page = await user.functions.exportCurrentUserData();
  for (;;) {
    for (const group of page.rules) {
      const all = rules.get(group.rule) || { rule: group.rule, action: group.action, owned: [], shared: [] };
      all.owned.push(...group.owned);
      all.shared.push(...group.shared);
      rules.set(group.rule, all);
    }
    if (page.next === null) break;
    page = await user.functions.exportCurrentUserData({ after: page.next });
  }
  const data = { userId: user.id, exportedAt: new Date(), rules: [...rules.values()] };
  return Realm.BSON.EJSON.stringify(data, undefined, 2, { relaxed: false });
}

function saveFile(name, text) {
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([text], { type: "application/json" }));
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
}

async function deleteAccount() {
  const user = app.currentUser;
  const receipt = await user.functions.deleteCurrentUser();
  $("receipt").textContent = JSON.stringify(receipt, null, 2);
  $("done").hidden = false;
  // The account and its sessions are gone on the server; this only forgets it in the browser.
  await app.removeUser(user).catch(() => undefined);
  $("confirm").hidden = true;
  await showAccount();
}

const credentials = () => Realm.Credentials.emailPassword($("email").value, $("password").value);
$("signin").addEventListener("submit", (e) => {
  e.preventDefault();
  run(() => signIn(credentials()));
});
$("register").addEventListener("click", () =>
  run(async () => {
    await app.emailPasswordAuth.registerUser({ email: $("email").value, password: $("password").value });
    await signIn(credentials());
  }));
$("anon").addEventListener("click", () => run(() => signIn(Realm.Credentials.anonymous())));
$("signout").addEventListener("click", () => run(async () => {
  await app.currentUser.logOut();
  await showAccount();
}));
$("download").addEventListener("click", () => run(async () => saveFile("my-data.json", await exportAll(app.currentUser))));
$("delete").addEventListener("click", () => {
  $("confirm").hidden = false;
  $("confirm-text").value = "";
  $("confirm-delete").disabled = true;
  $("confirm-text").focus();
});
$("confirm-text").addEventListener("input", () => ($("confirm-delete").disabled = $("confirm-text").value !== "DELETE"));
$("confirm-delete").addEventListener("click", () => run(deleteAccount));
run(showAccount);
