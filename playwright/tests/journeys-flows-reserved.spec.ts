import * as fs from 'node:fs';
import * as path from 'node:path';
import { test, expect, openEditor, setYaml, shot } from './fixtures';
import { openJourney, workspaceTexts } from './journeys-helpers';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'hubble');

const DENY_BOOKINFO = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
  namespace: bookinfo
spec:
  podSelector: {}
  policyTypes:
  - Ingress
  - Egress
`;

/**
 * Real public captures (cilium/hubble-otel testdata, see SOURCES.md) in one
 * file: from a kind cluster, cilium-health's ICMP between reserved:host,
 * reserved:remote-node and reserved:health, and 400 TCP flows (host, health,
 * remote-node peers; its world peers are pod addresses of the same capture);
 * from a GKE cluster, 10 flows with a reserved:world peer outside the cluster.
 */
function capture() {
  const files = ['basic-sample-400-icmpv4-flows.json', 'basic-sample-400-tcp-flows.json', 'basic-sample-10-flows.json'];
  const buffer = Buffer.concat(files.map((f) => fs.readFileSync(path.join(FIXTURES, f))));
  return { name: 'reserved-and-icmp.json', mimeType: 'application/json', buffer };
}

test('a real capture with host, health, remote-node and world peers and ICMP: every forwarded row has a verdict or a reason, replies counted apart', async ({ page, problems }) => {
  await openEditor(page);
  await setYaml(page, DENY_BOOKINFO);
  await openJourney(page, 'Flows');
  await page.locator('input.flow-file').setInputFiles(capture());
  await expect(page.locator('.flows-meta')).toContainText('reserved-and-icmp.json: 428 flows');
  // Show the replies as well.
  await page.getByLabel('Hide replies').uncheck();
  const rows = page.locator('tr.flow-row');
  for (const who of ['reserved:health', 'reserved:host', 'reserved:remote-node', 'ip:35.246.31.234']) {
    await expect(rows.filter({ hasText: who }).first()).toBeVisible();
  }
  await expect(rows.filter({ hasText: 'ICMP' }).first()).toBeVisible();

  // No forwarded row is left without a verdict; replies say where theirs comes from.
  const forwarded = page.locator('tr.flow-row[data-verdict="FORWARDED"], tr.flow-row[data-verdict="REDIRECTED"]');
  expect(await forwarded.count()).toBeGreaterThan(0);
  for (const row of await forwarded.all()) {
    await expect(row).not.toHaveAttribute('data-allowed', 'n/a');
    await expect(row.locator('.impact-rule')).not.toBeEmpty();
  }
  await expect(page.locator('tr.flow-row[data-reply="true"] .impact-rule').filter({ hasText: 'reply: allowed because the request' }).first()).toBeVisible();
  await expect(page.locator('tr.flow-row[data-reply="true"] .impact-rule').filter({ hasText: 'reply to a request these policies deny' }).first()).toBeVisible();
  await expect(page.locator('.impact-summary')).toContainText(/\d+ allowed, \d+ denied, \d+ replies/);
  await expect(page.locator('.impact-summary')).not.toContainText('without a verdict');
  await shot(page, 'journeys-flows-reserved-before');
  const icmpRow = rows.filter({ hasText: 'reserved:health' }).filter({ hasText: 'ICMP' }).first();
  await icmpRow.scrollIntoViewIfNeeded();
  await expect(icmpRow).not.toHaveAttribute('data-allowed', 'n/a');
  await shot(page, 'journeys-flows-reserved-icmp');

  // Generate Cilium policies from the forwarded requests: they are all allowed then.
  await page.getByRole('combobox', { name: 'Policy flavor' }).selectOption('cilium');
  const before = (await workspaceTexts(page)).length;
  await page.getByRole('button', { name: /Generate a policy from \d+ ticked flows/ }).click();
  await expect.poll(async () => (await workspaceTexts(page)).length).toBeGreaterThan(before);
  expect((await workspaceTexts(page)).some((t) => t.includes('toEntities') || t.includes('fromEntities'))).toBe(true);
  await expect(page.locator('tr.flow-row[data-reply="false"][data-allowed="false"]')).toHaveCount(0);
  for (const row of await forwarded.all()) {
    await expect(row).not.toHaveAttribute('data-allowed', 'n/a');
  }
  await shot(page, 'journeys-flows-reserved-after');
  expect(problems).toEqual([]);
});

test('dropped flows: asking to allow what was dropped ticks them, and the generated policy allows them', async ({ page, problems }) => {
  await openEditor(page);
  await openJourney(page, 'Flows');
  const dropped = [
    '{"flow":{"verdict":"DROPPED","drop_reason_desc":"POLICY_DENIED","IP":{"source":"10.0.0.1","destination":"10.0.0.2"},"l4":{"TCP":{"source_port":41000,"destination_port":8080}},"source":{"namespace":"shop","labels":["k8s:app=web","k8s:io.kubernetes.pod.namespace=shop"]},"destination":{"namespace":"shop","labels":["k8s:app=api","k8s:io.kubernetes.pod.namespace=shop"]},"traffic_direction":"INGRESS","is_reply":false}}',
  ].join('\n');
  await page.locator('input.flow-file').setInputFiles({ name: 'dropped.json', mimeType: 'application/json', buffer: Buffer.from(dropped + '\n') });
  const generate = page.getByRole('button', { name: /Generate a policy from \d+ ticked flows/ });
  await expect(generate).toHaveText('Generate a policy from 0 ticked flows');
  await page.getByRole('combobox', { name: 'Verdicts to allow' }).selectOption('FORWARDED,DROPPED');
  await expect(generate).toHaveText('Generate a policy from 1 ticked flows');
  await generate.click();
  await expect.poll(async () => (await workspaceTexts(page)).some((t) => t.includes('palisade.dev/generated'))).toBe(true);
  await expect(page.locator('tr.flow-row[data-verdict="DROPPED"][data-allowed="true"]')).toHaveCount(1);
  expect(problems).toEqual([]);
});
