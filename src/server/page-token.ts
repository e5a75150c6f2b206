/**
 * The token handling the server's pages share: a form shown when the API answers 401, the token kept
 * in the tab's sessionStorage and sent as a bearer header. The token never appears in the page.
 */
export const TOKEN_FORM = `<form id="login" hidden>This server needs its API token: <input id="token" type="password" autocomplete="current-password">
  <button>show</button></form>`;

/** Defines `authorization()` (the header to send) and `whenTokenGiven(callback)`. */
export const TOKEN_SCRIPT = `const TOKEN = "ragcache-token";
function authorization() {
  const token = sessionStorage.getItem(TOKEN);
  return token ? { authorization: "Bearer " + token } : {};
}
function whenTokenGiven(callback) {
  document.getElementById("login").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(TOKEN, document.getElementById("token").value);
    document.getElementById("login").hidden = true;
    callback();
  });
}
/** Fetches an API path with the token; shows the form on 401 and says so. */
async function fetchWithToken(path, init) {
  const response = await fetch(path, { cache: "no-store", ...init, headers: { ...(init && init.headers), ...authorization() } });
  document.getElementById("login").hidden = response.status !== 401;
  if (response.status === 401) throw new Error("this server needs its API token");
  return response;
}`;
