// Opens the gateway's /graphql in headless Chromium (Debian's package, driven by playwright-core), as a developer
// would: the Banana Cake Pop IDE loads, a new document holds the example, the schema browser lists the types,
// the example runs and its result shows. Saves a screenshot.
//   node ide-browser-check.mjs <graphql-url> <screenshot-path> [chromium-path]
// Prints JSON lines: {"event":"started"}, then {"event":"result",...} or {"event":"error","message":...}.
import { chromium } from 'playwright-core';

const [url, screenshot, executablePath = '/usr/bin/chromium'] = process.argv.slice(2);
const print = (line) => process.stdout.write(JSON.stringify(line) + '\n');
print({ event: 'started' });

let browser;
try {
  browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const hosts = new Set();
  const graphqlPosts = [];
  page.on('request', (request) => {
    hosts.add(new URL(request.url()).host);
    if (request.method() === 'POST') graphqlPosts.push(request.postData() ?? '');
  });

  await page.goto(url, { waitUntil: 'load' });
  // A fresh IDE offers to create a document; the new tab is connected to this endpoint and holds the example
  // document (bcp-config.json's graphQLDocument).
  await page.getByText('Create Document').click({ timeout: 60000 });
  await page.getByText('Schema available').waitFor({ timeout: 60000 });

  // Monaco renders spaces as no-break spaces.
  const editors = page.locator('.monaco-editor .view-lines');
  const text = async () => (await editors.allInnerTexts()).join('\n').replaceAll('\u00a0', ' ');
  const waitFor = async (predicate, read, ms = 60000) => {
    const deadline = Date.now() + ms;
    while (!predicate(await read()) && Date.now() < deadline) await page.waitForTimeout(200);
    return read();
  };
  const exampleShown = (await waitFor((t) => t.includes('query AliceSmithsWeek'), text)).includes('query AliceSmithsWeek');

  // The schema browser lists the types, and a type's fields. It is opened only once the status bar says the schema
  // is there; still, BCP 18's reference view can show "No Schema" when it opened before its own first schema fetch
  // ended, and it never refreshes by itself. A page reload (the schema then cached) shows it: at most one reload,
  // then the schema must be listed.
  const reference = async () => (await page.locator('body').innerText());
  const listed = (t) => t.includes('appointment(...): Appointment');
  const openReference = async (ms) => {
    await page.getByText('Schema available').waitFor({ timeout: 60000 });
    await page.getByText('Schema Reference', { exact: true }).click({ timeout: 60000 });
    return listed(await waitFor(listed, reference, ms));
  };
  let reloads = 0;
  if (!(await openReference(20000))) {
    reloads++;
    await page.reload({ waitUntil: 'load' });
    // After a reload the IDE may land on its start page again: reopen the document.
    await page.getByText('Create Document').click({ timeout: 5000 }).catch(() => {});
    await openReference(60000);
  }

  await page.getByText('Objects', { exact: true }).click({ timeout: 5000 }).catch(() => {});
  const browsed = await waitFor((t) => /\bAppointment\b/.test(t) && t.includes('AppointmentConnection'), reference);
  const schemaBrowser = { noSchema: browsed.includes('No Schema'), showsAppointment: /\bAppointment\b/.test(browsed) && browsed.includes('AppointmentConnection') };

  // Back to the document: run it as it came.
  await page.getByText('Operation', { exact: true }).click();
  await page.getByText('AliceSmithsWeek: Query').waitFor({ timeout: 60000 });
  await page.locator('button:has-text("Run")').first().click();
  const shown = await waitFor((t) => t.includes('"displayName"'), text);
  await page.screenshot({ path: screenshot });
  print({
    event: 'result',
    // Set from bcp-config.json once the IDE has read it.
    title: await page.title(),
    shown,
    hosts: [...hosts],
    exampleShown,
    schemaBrowser,
    reloads,
    ranQuery: graphqlPosts.some((body) => body.includes('AliceSmithsWeek')),
    introspected: graphqlPosts.some((body) => body.includes('__schema')),
  });
} catch (error) {
  print({ event: 'error', message: String(error?.message ?? error) });
  process.exitCode = 1;
} finally {
  await browser?.close();
}
