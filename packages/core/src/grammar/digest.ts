/** placeholder, replaced below */
export interface Digest { algorithm: string; hex: string; value: string }
