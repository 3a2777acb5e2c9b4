// Package dynamo is the Notes store on a DynamoDB table, the seed's Notes
// table. It is a package of its own so that programs keeping notes in
// memory never build the AWS SDK.
package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/cognito-verify/cognito/examples/notes"
)

// The seed's table: partition key userId, sort key noteId, attribute note.
const (
	DefaultTable = "Notes"
	KeyUser      = "userId"
	KeyNote      = "noteId"
	AttrNote     = "note"
)

// Store is a notes.Store on a DynamoDB table. It is safe for concurrent use.
type Store struct {
	client *dynamodb.Client
	table  string
	// PageSize bounds the items one Query call returns (0: DynamoDB's 1 MB
	// limit); List follows every page.
	PageSize int32
}

// Table returns the name of the store's table.
func (s *Store) Table() string { return s.table }

// New returns a store on table through client.
func New(client *dynamodb.Client, table string) *Store {
	return &Store{client: client, table: table}
}

// FromEnv builds a client from the standard AWS configuration
// chain (region, credentials) and returns a store on the table named by
// NOTES_TABLE (default Notes), at DYNAMODB_ENDPOINT when set (a local
// DynamoDB-compatible server).
func FromEnv(ctx context.Context, getenv func(string) string) (*Store, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("AWS configuration: %w", err)
	}
	client := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		if ep := getenv("DYNAMODB_ENDPOINT"); ep != "" {
			o.BaseEndpoint = aws.String(ep)
		}
	})
	table := getenv("NOTES_TABLE")
	if table == "" {
		table = DefaultTable
	}
	return New(client, table), nil
}

// NewLocal returns a store for a DynamoDB-compatible server on
// this machine (dynalite, DynamoDB Local) at endpoint, with dummy
// credentials and region us-east-1.
func NewLocal(endpoint, table string) *Store {
	client := dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
	return New(client, table)
}

// CreateTable creates the table with the seed's keys, on demand capacity,
// and waits until it is active. For local servers and tests; deployments
// create it with the SAM template.
func (s *Store) CreateTable(ctx context.Context) error {
	_, err := s.client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: aws.String(s.table),
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String(KeyUser), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String(KeyNote), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(KeyUser), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(KeyNote), KeyType: types.KeyTypeRange},
		},
		BillingMode: types.BillingModePayPerRequest,
	})
	if err != nil {
		return err
	}
	waiter := dynamodb.NewTableExistsWaiter(s.client, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 100*time.Millisecond, 2*time.Second
	})
	return waiter.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(s.table)}, 2*time.Minute)
}

func key(userID, noteID string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		KeyUser: &types.AttributeValueMemberS{Value: userID},
		KeyNote: &types.AttributeValueMemberS{Value: noteID},
	}
}

// Create implements notes.Store: a conditional put, so an existing note is never
// overwritten.
func (s *Store) Create(ctx context.Context, userID string, n notes.Note) error {
	item := key(userID, n.NoteID)
	item[AttrNote] = &types.AttributeValueMemberS{Value: n.Note}
	_, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:           aws.String(s.table),
		Item:                item,
		ConditionExpression: aws.String("attribute_not_exists(#n)"),
		ExpressionAttributeNames: map[string]string{
			"#n": KeyNote,
		},
	})
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		return notes.ErrExists
	}
	return err
}

// Get implements notes.Store.
func (s *Store) Get(ctx context.Context, userID, noteID string) (notes.Note, error) {
	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.table),
		Key:            key(userID, noteID),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return notes.Note{}, err
	}
	if out.Item == nil {
		return notes.Note{}, notes.ErrNotFound
	}
	return toNote(out.Item)
}

// List implements notes.Store: a Query on the user's partition, every page, in
// noteId order.
func (s *Store) List(ctx context.Context, userID string) ([]notes.Note, error) {
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		KeyConditionExpression:    aws.String("#u = :u"),
		ExpressionAttributeNames:  map[string]string{"#u": KeyUser},
		ExpressionAttributeValues: map[string]types.AttributeValue{":u": &types.AttributeValueMemberS{Value: userID}},
		ConsistentRead:            aws.Bool(true),
	}
	if s.PageSize > 0 {
		in.Limit = aws.Int32(s.PageSize)
	}
	list := []notes.Note{}
	pages := dynamodb.NewQueryPaginator(s.client, in)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, item := range page.Items {
			n, err := toNote(item)
			if err != nil {
				return nil, err
			}
			list = append(list, n)
		}
	}
	return list, nil
}

// Delete implements notes.Store: a conditional delete, so a missing note is
// notes.ErrNotFound.
func (s *Store) Delete(ctx context.Context, userID, noteID string) error {
	_, err := s.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                aws.String(s.table),
		Key:                      key(userID, noteID),
		ConditionExpression:      aws.String("attribute_exists(#n)"),
		ExpressionAttributeNames: map[string]string{"#n": KeyNote},
	})
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		return notes.ErrNotFound
	}
	return err
}

func toNote(item map[string]types.AttributeValue) (notes.Note, error) {
	id, ok1 := item[KeyNote].(*types.AttributeValueMemberS)
	note, ok2 := item[AttrNote].(*types.AttributeValueMemberS)
	if !ok1 || !ok2 {
		return notes.Note{}, errors.New("notes: item without string noteId and note")
	}
	return notes.Note{NoteID: id.Value, Note: note.Value}, nil
}
