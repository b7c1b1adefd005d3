// Per-folder StrykerJS configs: the base settings of stryker.config.json, narrowed to one folder's sources and the
// tests that exercise them, with their own incremental file and report so narrowed runs never overwrite each other.
import { readFileSync } from 'node:fs'

const base = JSON.parse(readFileSync(new URL('../stryker.config.json', import.meta.url), 'utf8'))

/** @param {string} name @param {string[]} mutate @param {string[]} testFiles */
export function folderConfig(name, mutate, testFiles) {
  return {
    ...base,
    mutate,
    tap: { ...base.tap, testFiles },
    incrementalFile: `.stryker/incremental-${name}.json`,
    htmlReporter: { fileName: `.stryker/report/${name}/mutation.html` },
    jsonReporter: { fileName: `.stryker/report/${name}/mutation.json` },
    tempDirName: `.stryker/tmp-${name}`,
    // A mutant that loops forever is judged a timeout 10 s past its normal time instead of 30 s.
    timeoutMS: 10000,
  }
}
