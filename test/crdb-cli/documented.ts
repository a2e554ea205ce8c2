import { readFileSync } from 'node:fs'

/**
 * The examples of the Redis Software docs' crdb-cli pages, copied exactly (trailing spaces
 * included) into `documented/*.txt` from the reference (references/cli-utilities/crdb-cli/, via
 * shared/reference/crdb-cli.md): a `$ crdb-cli ...` command, its continuation lines, its output.
 */
export interface Sample {
  /** The command's arguments after `crdb-cli`, split as a shell would split them. */
  args: string[]
  /** The output lines, exactly. */
  output: string[]
}

/** Splits a command line as sh does, for the quoting the samples use ('...', "..." and backslashes). */
export function shellWords (line: string): string[] {
  const words: string[] = []
  let word: string | undefined
  let quote: string | undefined
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string
    if (quote !== undefined) {
      if (c === quote) quote = undefined
      else if (quote === '"' && c === '\\' && /["\\$`]/.test(line[i + 1] ?? '')) word = (word ?? '') + line[++i]
      else word = (word ?? '') + c
    } else if (c === '\'' || c === '"') {
      quote = c
      word ??= ''
    } else if (c === '\\' && i + 1 < line.length) {
      word = (word ?? '') + line[++i]
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word)
      word = undefined
    } else {
      word = (word ?? '') + c
    }
  }
  if (word !== undefined) words.push(word)
  return words
}

/** The documented example `name` (`create`, `task-list`, ...). */
export function sample (name: string): Sample {
  const lines = readFileSync(new URL(`documented/${name}.txt`, import.meta.url), 'utf8').split('\n').slice(0, -1)
  let command = ''
  let i = 0
  for (; i < lines.length; i++) {
    const line = (lines[i] as string).replace(/^\$ /, '')
    const continued = /\\\s*$/.test(line)
    command += ` ${continued ? line.replace(/\\\s*$/, '') : line}`
    if (!continued) break
  }
  const words = shellWords(command)
  if (words[0] !== 'crdb-cli') throw new Error(`sample ${name} is not a crdb-cli command: ${command}`)
  return { args: words.slice(1), output: lines.slice(i + 1) }
}
