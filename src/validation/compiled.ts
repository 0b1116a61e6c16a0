/** The shape of a validator produced by ajv's standalone code generation (see schemas/build.mjs). */

export interface CompiledError {
  readonly instancePath: string;
  readonly schemaPath: string;
  readonly keyword: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly message?: string;
}

export interface CompiledValidator {
  (data: unknown): boolean;
  errors?: CompiledError[] | null;
}

/** "upstream.topic: must match pattern ..." — the field path in dotted form, then ajv's reason. */
export function describeErrors(errors: readonly CompiledError[] | null | undefined): string[] {
  return (errors ?? []).map((e) => {
    const path = e.instancePath.replace(/^\//, "").replace(/\//g, ".");
    const extra =
      e.keyword === "additionalProperties" ? ` '${String(e.params.additionalProperty)}'` : e.keyword === "enum" ? `: ${JSON.stringify(e.params.allowedValues)}` : "";
    return `${path || "(root)"}: ${e.message ?? e.keyword}${extra}`;
  });
}
