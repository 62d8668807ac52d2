/**
 * Per-method provider settings (YEYAK_IDENTITY_PROVIDERS). They live in src/core/identity-settings.ts,
 * since configuration parses and validates them at boot and core imports nothing above it; this
 * module is identity's name for them.
 */
export {
  defaultProviderSettings,
  parseProviderSettings,
  settingsFor,
  type ProviderSettings,
  type ProviderSettingsSpec,
} from '../../core/identity-settings.ts';
