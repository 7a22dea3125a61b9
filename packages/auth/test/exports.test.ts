import { expect, it } from 'vitest'
import * as auth from '@wharf/auth'

it('exports exactly the documented public API', () => {
  expect(Object.keys(auth).sort()).toEqual([
    'CATALOG_RESOURCE',
    'HtpasswdError',
    'createDefaultPolicy',
    'createHtpasswdAuth',
    'createPolicy',
    'createTokenAuth',
    'createTokenServer',
    'isHtpasswdError',
    'parseHtpasswd',
    'toBasicChallenge',
    'toBasicCredentials',
    'toBearerChallenge',
    'toBearerToken',
    'toJwks',
    'toLibtrustKeyId',
    'toRepositoryMatcher',
    'toRequestedAccess',
    'toScopeAccess',
    'toScopeList',
  ])
})
