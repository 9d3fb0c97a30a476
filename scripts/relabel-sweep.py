#!/usr/bin/env python3
"""Relabel the stored overrides of a sweep directory's results after its sweep file re-expressed
the same points (e.g. one varied field turned into linked fields): a point's key hashes its whole
circuit, so a cached row with the same key is the same run; only its `overrides` label is stale
(the runner reuses cached rows as they were written). Each row takes the overrides of the point
with its key in the current sweep file.

    python3 scripts/relabel-sweep.py SWEEP_FILE SWEEP_DIR
"""
import json, os, subprocess, sys

f, d = sys.argv[1], sys.argv[2]
pts = json.loads(subprocess.check_output(['node', 'dist/cli/main.js', 'sweep', f, '--list', '--json']))['points']
by_key = {p['key']: p for p in pts}
path = os.path.join(d, 'results.jsonl')
rows = [json.loads(l) for l in open(path) if l.strip()]
changed = 0
for r in rows:
    p = by_key.get(r['key'])
    if p and r['overrides'] != p['overrides']:
        r['overrides'] = p['overrides']
        r['index'] = p['index']
        changed += 1
tmp = path + '.tmp'
with open(tmp, 'w') as o:
    o.write(''.join(json.dumps(r, separators=(',', ':')) + '\n' for r in rows))
os.replace(tmp, path)
print(f'{path}: {changed} of {len(rows)} rows relabelled')
