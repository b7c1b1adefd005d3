// The zod building block for every string the API accepts (bodies, path parameters, query values).
import { z } from 'zod'
import { textFlaw } from '../storage/storable-text.js'

/**
 * A string the databases can hold exactly: well-formed Unicode without U+0000 (see storable-text).
 * Chain length and format rules after it; the OpenAPI document still shows a plain string.
 */
export function wellFormedString() {
  return z.string().superRefine((value, ctx) => {
    const flaw = textFlaw(value)
    if (flaw) ctx.addIssue({ code: 'custom', message: flaw })
  })
}
