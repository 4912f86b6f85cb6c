// Opens the gateway's /graphql in headless Chromium (Debian's package, driven by playwright-core), as a developer
// would: the Banana Cake Pop IDE loads, a new document runs a query, the result shows. Saves a screenshot.
//   node ide-browser-check.mjs <graphql-url> <screenshot-path> [chromium-path]
// Prints JSON lines: {"event":"started"}, then {"event":"result",...} or {"event":"error","message":...}.
import { chromium } from 'playwright-core';

const [url, screenshot, executablePath = '/usr/bin/chromium'] = process.argv.slice(2);
const print = (line) => process.stdout.write(JSON.stringify(line) + '\n');
const query = 'query Practitioners { practitioners(first: 2) { nodes { id displayName } } }';
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
  // A fresh IDE offers to create a document; the new tab is connected to this endpoint (bcp-config.json).
  await page.getByText('Create Document').click({ timeout: 20000 });
  await page.getByText('Schema available').waitFor({ timeout: 20000 });

  const editors = page.locator('.monaco-editor .view-lines');
  await editors.first().click();
  await page.waitForTimeout(500);
  await page.keyboard.insertText(query);
  // The IDE has taken the text in once its operation builder lists the operation.
  await page.getByText('Practitioners: Query').waitFor({ timeout: 20000 });
  await page.locator('button:has-text("Run")').first().click();

  // Monaco renders spaces as no-break spaces; wait for the response editor to show the result.
  const text = async () => (await editors.allInnerTexts()).join('\n').replaceAll('\u00a0', ' ');
  const deadline = Date.now() + 20000;
  while (!(await text()).includes('"displayName"') && Date.now() < deadline) await page.waitForTimeout(200);
  const shown = await text();
  await page.screenshot({ path: screenshot });
  print({
    event: 'result',
    // Set from bcp-config.json once the IDE has read it.
    title: await page.title(),
    shown,
    hosts: [...hosts],
    ranQuery: graphqlPosts.some((body) => body.includes('practitioners(first: 2)')),
    introspected: graphqlPosts.some((body) => body.includes('__schema')),
  });
} catch (error) {
  print({ event: 'error', message: String(error?.message ?? error) });
  process.exitCode = 1;
} finally {
  await browser?.close();
}
