// The payload of a group tip in group g1 ("Friends") by alice, for the tests.
export const tip = (operationType, fields = {}) => ({
  operationType,
  operatorID: 'alice',
  userIDList: [],
  groupProfile: {groupID: 'g1', groupName: 'Friends'},
  ...fields,
});
