// Moderation that no server imposes: the user's mutes and hiding threshold, the moderators it
// follows and what their labels do (hide, warn, drop). The wire side (LABEL, REPORT) is src/post's.

export * from './rules.js'
export { createModeration, SETTINGS_KEY } from './moderation.js'
export type { Moderation, ModerationInit } from './moderation.js'
