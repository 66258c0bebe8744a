/**
 * One setting of the configuration schema: a zod schema for one environment variable that
 * carries its name, aliases, default, doc and flags as data (in `settingRegistry`), so the
 * reader, the README table, secret redaction and the runtime settings catalogue all come from
 * the schema instead of repeating the names. `section` groups settings under a README heading.
 */
import { z } from 'zod';
import type { EnvValue } from './env-values.js';

/** How a runtime settings PATCH checks a new value of an editable setting, before the reload. */
export type EditCheck = 'model' | 'url' | 'positive_int' | 'secret' | 'text';

export interface SettingSpec<T> {
  env: string;
  /** Older names read when `env` is unset (first set one wins). */
  aliases?: readonly string[];
  value: EnvValue<T>;
  doc: string;
  /** The README's default column when it is not `default` itself (computed, or borrowed). */
  defaultText?: string;
  /** Redacted wherever the server writes or sends text, and masked by the settings route. */
  secret?: boolean;
  /** Editable through `PATCH /api/v1/runtime/settings`, checked this way there. */
  editable?: EditCheck;
  /** A valid value other than the default, when the value kind's own example is not. */
  example?: string;
}

export interface SettingMeta {
  env: string;
  aliases: readonly string[];
  doc: string;
  defaultText: string;
  secret: boolean;
  editable?: EditCheck;
  example: string;
  /** The strings a value of this setting holds that must be redacted (empty unless secret). */
  secretsOf(value: unknown): string[];
}

export const settingRegistry = z.registry<SettingMeta>();
const sectionTitles = z.registry<{ title: string }>();

/** The raw text a leaf receives: the variable's trimmed value, undefined when unset or blank. */
type Leaf<T> = z.ZodType<T, string | undefined>;

export function setting<T>(spec: SettingSpec<T> & { default: NoInfer<T> }): Leaf<T>;
export function setting<T>(spec: SettingSpec<T>): z.ZodOptional<Leaf<T>>;
export function setting<T>(spec: SettingSpec<T> & { default?: T }): Leaf<T> | z.ZodOptional<Leaf<T>> {
  const fallback = spec.default;
  const leaf = z
    .string()
    .optional()
    .transform((text, ctx) => {
      if (text === undefined) return fallback;
      let failed = false;
      const value = spec.value.parse(text, (message) => {
        failed = true;
        ctx.addIssue({ code: 'custom', message, input: text });
      });
      return failed ? z.NEVER : value;
    }) as Leaf<T>;
  // Without a default the key is optional in the inferred type (`maxTokens?: number`).
  const schema = fallback === undefined ? leaf.optional() : leaf;
  settingRegistry.add(schema, {
    env: spec.env,
    aliases: spec.aliases ?? [],
    doc: spec.doc,
    defaultText: spec.defaultText ?? (fallback === undefined ? '–' : spec.value.describe(fallback)),
    secret: spec.secret ?? false,
    editable: spec.editable,
    example: spec.example ?? spec.value.example(fallback),
    secretsOf: (value) => (spec.secret && value !== undefined ? spec.value.secrets(value as T) : []),
  });
  return schema;
}

/** A group of settings (a README heading). */
export function section<Shape extends z.ZodRawShape>(title: string, shape: Shape): z.ZodObject<Shape> {
  const schema = z.object(shape);
  sectionTitles.add(schema, { title });
  return schema;
}

export interface SettingAt extends SettingMeta {
  /** Where the value sits in the settings object, e.g. `['rlm', 'maxDepth']`. */
  path: readonly string[];
  /** The README heading it is listed under. */
  section: string;
}

/** Every setting of a schema built from `section`s and `setting`s, in declaration order. */
export function settingsOf(schema: z.ZodObject, rootTitle: string): SettingAt[] {
  const found: SettingAt[] = [];
  const walk = (object: z.ZodObject, path: string[], title: string): void => {
    for (const [key, child] of Object.entries(object.shape)) {
      const meta = settingRegistry.get(child as z.ZodType);
      if (meta) {
        found.push({ ...meta, path: [...path, key], section: title });
      } else if (child instanceof z.ZodObject) {
        walk(child, [...path, key], sectionTitles.get(child)?.title ?? title);
      } else {
        throw new TypeError(`config schema: ${[...path, key].join('.')} is neither a setting nor a section`);
      }
    }
  };
  walk(schema, [], rootTitle);
  return found;
}
