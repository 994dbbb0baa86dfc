import { launchChromium } from '../../test/support/browser';
const [url, out] = process.argv.slice(2);
const browser = await launchChromium();
const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
await page.goto(url!);
await page.waitForTimeout(1500);
await page.screenshot({ path: out! });
await browser.close();
