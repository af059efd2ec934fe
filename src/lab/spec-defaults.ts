/**
 * @deprecated Import from ./spec.ts. Kept so older imports keep working while the redesign lands;
 * the defaults now come from the field table in ./spec/ (see docs/spec.md).
 */
export { DEFAULT_SFT, DEFAULT_SPEC, OBJECTIVE_LABELS, type PartialSpec, withDefaults } from './spec.ts';
